"""What the load bench asks of the server, shared by the virtual users (``locustfile.py``, under
gevent) and the report (``run.py``, which must not import Locust)."""

# Request type -> slots in every 100 requests (one shuffled cycle shared by all virtual users).
MIX = {
    "API list": 40,
    "API detail": 10,
    "admin changelist": 20,
    "admin change": 15,
    "registration POST": 14,
    "token POST": 1,
}
# The answer of each request type when all is well. A 429 is counted apart (a throttle or a login
# lockout); a 5xx or no answer at all is a server error; any other answer is an unexpected one.
EXPECTED = {
    "API list": 200,
    "API detail": 200,
    "admin changelist": 200,
    "admin change": 200,
    "registration POST": 201,
    "token POST": 200,
    "admin sign-in form": 200,
    "admin sign-in": 302,
}
SIGN_IN = ("admin sign-in form", "admin sign-in")
