"""Tokens: secrets, hashes and access-token JWTs (codec), checking presented tokens (checks),
caps and creation rates (limits), and their SQL (store)."""
