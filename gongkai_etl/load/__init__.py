"""Load stage: writers, staging, atomic publishing, datapackage.json."""
