"""The web's own routes: logging in and out, the home page, the health check."""

from starlette.routing import Route

from console.web import factor, home, login, passkey

ROUTES = [
    Route("/login", login.login_form, methods=["GET"]),
    Route("/login", login.login, methods=["POST"]),
    Route("/login/factor", factor.factor_form, methods=["GET"]),
    Route("/login/factor", factor.factor_submit, methods=["POST"]),
    Route("/login/passkey/options", passkey.login_options, methods=["POST"]),
    Route("/login/passkey", passkey.login, methods=["POST"]),
    Route("/security/passkeys", passkey.passkeys_page, methods=["GET"]),
    Route("/security/passkeys/options", passkey.register_options, methods=["POST"]),
    Route("/security/passkeys", passkey.register, methods=["POST"]),
    Route("/login/confirm", factor.confirm_form, methods=["GET"]),
    Route("/login/confirm", factor.confirm_submit, methods=["POST"]),
    Route("/logout", login.logout, methods=["POST"]),
    Route("/", home.home, methods=["GET"]),
    Route("/healthz", home.health, methods=["GET"]),
]
