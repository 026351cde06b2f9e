"""The student registry: its records, the changes signed orders make, imports from the
student information system, contingent order lists, the military register."""
