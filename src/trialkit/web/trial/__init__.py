"""The trial-operations app: participants, forms, randomization, safety, audit."""
