"""Reports: the monthly public-service report, the dashboard and contingent statistics,
their XLSX/DOCX files and charts."""
