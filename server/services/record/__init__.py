"""The academic record: results, GPA and academic debt, imports, grade sheets."""
