"""Care that continues after the session: follow-ups, block decisions after forced exits,
step-up support and aftercare, and the monthly liaison pack (spec 6(2), 6(6), 6(9))."""
