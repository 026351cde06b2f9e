"""Reading what people upload within limits the file cannot raise: lists of students as
CSV/XLSX (spreadsheets.py) and scanned documents judged by their content and size (scans.py)."""
