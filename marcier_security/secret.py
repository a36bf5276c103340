# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Encryption of the second factors' secrets and digests of the recovery
codes, keyed by [marcier] secret_key (marcier/settings.py makes one).

Two keys are derived from it so that the digests never reveal anything
about the encryption key."""
import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from trytond import config

from .exceptions import SecretKeyError


def _derive(purpose):
    key = config.get('marcier', 'secret_key', default=None)
    if not key:
        raise SecretKeyError(
            "[marcier] secret_key is not set: start trytond through "
            "`marcier` (it makes var/secret.key) or set "
            "TRYTOND_MARCIER__SECRET_KEY")
    return hashlib.sha256(f'marcier-{purpose}:{key}'.encode()).digest()


def encrypt(text):
    fernet = Fernet(base64.urlsafe_b64encode(_derive('fernet')))
    return fernet.encrypt(text.encode()).decode()


def decrypt(token):
    "The text, or None when the token was made with another key"
    fernet = Fernet(base64.urlsafe_b64encode(_derive('fernet')))
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def digest(text):
    return hmac.new(_derive('digest'), text.encode(), 'sha256').hexdigest()
