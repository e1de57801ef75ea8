"""In-silico trials of a protocol file: synthetic candidates, a natural-history model, the
whole protocol (eligibility, gates, randomization, visits, analyses) simulated many times,
and the operating characteristics with their Monte Carlo errors. docs/simulation.md."""
