"""A cheaper Argon2 for tests: same algorithm and encoding, far less memory and time per hash.

Production keeps Django's defaults (see trialkit.web.settings); tests create hundreds of users.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
