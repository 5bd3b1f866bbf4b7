"""Facts fixed by `docs/contract.md` that several tests check against."""

#: The backend-engineer criterion ids, in the agent file's order.
CONTRACT_IDS = ("api", "database", "auth", "infrastructure", "performance", "testing_cicd", "business_logic")
