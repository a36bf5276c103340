"""A small JSON-RPC client of the running trytond, as sao talks to it."""
import base64
import json
import urllib.error
import urllib.request
from collections import defaultdict

DEMO_PASSWORD = 'Marcier-Demo-2026'


class RPCError(Exception):
    "An error answered by trytond: kind (UserError, ...) and message"

    def __init__(self, kind, message, description=None):
        super().__init__(f'{kind}: {message}')
        self.kind = kind
        self.message = message
        self.description = description


def post(url, method, params, authorization=None, timeout=60):
    "Call method; return the result or raise RPCError / HTTPError"
    headers = {'Content-Type': 'application/json'}
    if authorization:
        headers['Authorization'] = authorization
    request = urllib.request.Request(url, headers=headers, data=json.dumps({
                'id': 1, 'method': method, 'params': params}).encode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.load(response)
    if 'error' in answer:
        kind, args = answer['error']
        if isinstance(args, list):
            raise RPCError(kind, *args[:2])
        raise RPCError(kind, args)
    return answer['result']


class Client:
    """A logged-in back-office user

    The tests read the English source texts: the client asks in language
    (English by default) whatever the user's preference; language=None
    keeps the user's own, as sao does.
    """

    def __init__(self, base_url, database, login, password=DEMO_PASSWORD,
            language='en'):
        self.url = f'{base_url}{database}/rpc/'
        self.login = login
        uid, session, *_ = post(
            self.url, 'common.db.login',
            [login, {'password': password}, language or 'en'])
        self.uid = uid
        token = base64.b64encode(f'{login}:{uid}:{session}'.encode())
        self.authorization = 'Session ' + token.decode()
        self.language = language
        self.context = self.preferences()

    def preferences(self):
        "The user's context, in the language the client asks in"
        context = self.call('model.res.user.get_preferences', True, {})
        if self.language:
            context['language'] = self.language
        return context

    def set_preferences(self, values):
        "Change the user's preferences, as sao's dialog does"
        self.call('model.res.user.set_preferences', values, self.context)
        self.context = self.preferences()

    def call(self, method, *params):
        return post(self.url, method, list(params), self.authorization)

    def __call__(self, model, method, *args):
        "Call a model method with the user's context, as sao does"
        return self.call(f'model.{model}.{method}', *args, self.context)

    def search(self, model, domain, limit=None, order=None):
        return self(model, 'search', domain, 0, limit, order)

    def read(self, model, ids, fields):
        return self(model, 'read', ids, fields)

    def search_read(self, model, domain, fields, limit=None, order=None):
        return self(model, 'search_read', domain, 0, limit, order, fields)

    def create(self, model, values):
        return self(model, 'create', values)

    def write(self, model, ids, values):
        return self(model, 'write', ids, values)

    def delete(self, model, ids):
        return self(model, 'delete', ids)

    def button(self, model, name, ids):
        return self(model, name, ids)

    def message(self, message_id, **values):
        """The text of ir.message 'module.id' in the user's own language,
        as their notifications are written, with values: a LIKE pattern
        where a placeholder has no value"""
        module, fs_id = message_id.split('.')
        context = {**self.context,
            'language': self.call(
                'model.res.user.get_preferences', True, {})['language']}
        message, = self.call('model.ir.message.read',
            [self.model_data(module, fs_id)], ['text'], context)
        return message['text'] % defaultdict(lambda: '%', values)

    def model_data(self, module, fs_id):
        "Id of the record with XML id module.fs_id"
        return self('ir.model.data', 'get_id', module, fs_id)
