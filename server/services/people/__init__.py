"""People and sign-in: users, roles and tokens, faculties and substitutes, sessions and
sign-in throttling."""
