"""Reading what people upload (lists of students as CSV/XLSX) within limits the file cannot
raise: see spreadsheets.py."""
