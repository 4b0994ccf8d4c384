"""Extract stage: readers turn raw inputs (csv, xlsx, xls, json, http) into RawTables."""
