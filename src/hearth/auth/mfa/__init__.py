"""Multi-factor authentication: the manager, its codes, pauses after wrong codes, policy and SQL."""
