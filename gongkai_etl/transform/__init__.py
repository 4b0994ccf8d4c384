"""Transform stage: scalar normalizers (``normalize``) and their columnar twin (``columns``)."""
