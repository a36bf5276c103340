"""Who may do what on every Marcier model: the intent the matrix checks
the running server against (not read from the server's access tables).

Defaults come from declared facts: a model with AgentOwnedMixin (or whose
access comes from such a parent through __access__) is agent-scoped,
operators do everything, agent staff everything on their own agent's
records.  The tables below state every exception; a model that is neither
agent-owned nor listed has no policy and fails the matrix until one is
written: a new module adds a few lines here.

Grants are strings of r (search, read), w (write), c (create), d (delete).
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Grant:
    operator: str = 'rwcd'
    agent: str = ''
    # whose records agent staff reach: 'own' agent, the whole 'company'
    agent_scope: str = 'own'
    # Tryton's own models: every logged-in user has these rights
    anyone: str = ''
    # records not tied to a company (reference data, Tryton's own)
    shared: bool = False
    # records of one user: each user reaches only their own
    per_user: bool = False
    # records without a company (e.g. audit lines of users) are everyone's
    companyless_shared: bool = False
    # button → rights letters needed, when not 'w' (the Tryton default)
    buttons: dict = field(default_factory=dict)
    admin_buttons: tuple = ()  # buttons of administrators only
    # the module's own refusals (check_modification): denials too
    refusals: tuple = ()
    # Core models holding agent data without an agent field (parties,
    # users, attachments): what agent staff do on records of each owner,
    # 'own' (their agent's, alone or with others), 'company' (their
    # company's, no agent's) or 'shared'; other owners are out of reach
    agent_reach: dict = None
    # relational fields agent staff may not search through (field access)
    hidden_from_agents: tuple = ()
    # relational fields agent staff search through to their own agent's
    # records only (the rules of the relation model between)
    agents_own_only: tuple = ()
    # buttons the matrix does not click: allowed, they would lock the
    # matrix's own callers out (their own test checks them)
    unclicked: tuple = ()


AGENT_OWNED = Grant(agent='rwcd')
PARTY_REACH = {'own': 'rwcd', 'company': 'r', 'shared': 'rwcd'}

POLICY = {
    # marcier_base
    'marcier.city': Grant(anyone='r', shared=True),
    'marcier.agent': Grant(agent='r', agent_scope='company',
        buttons={'create_staff': 'operator'}),
    # the link table of agents and cities has no RPC method at all
    'marcier.agent-marcier.city': Grant(operator='', shared=True),
    # marcier_device
    'device.vehicle': Grant(agent='rw', buttons={
            'retire': 'operator', 'reactivate': 'operator'}),
    'device.vehicle.event': Grant(agent='rwc'),
    # access from the vehicle; the module refuses agents' changes
    'device.vehicle.maintenance': Grant(agent='r',
        refusals=('Operator staff manage the maintenance plans',)),
    'device.maintenance.plan': Grant(agent='r', agent_scope='company'),
    # marcier_iot
    'iot.alarm': Grant(operator='rw', agent='rw'),
    'iot.configuration': Grant(operator='', shared=True),  # admins only
    'iot.gateway': Grant(operator='r', buttons={'rotate': 'operator'}),
    'iot.telemetry': Grant(operator='r', agent='r'),
    'iot.telemetry.chart': Grant(operator='r', agent='r'),
    # derived from the telemetry by the listener: nobody edits them
    'iot.rollup.hour': Grant(operator='r', agent='r'),
    'iot.rollup.day': Grant(operator='r', agent='r'),
    # read-only, but both replay them on the fleet map
    'iot.trip': Grant(operator='r', agent='r',
        buttons={'open_replay': 'operator agent'}),
    # the listener's working state per vehicle, read by nobody
    'iot.vehicle.track': Grant(operator='', shared=True),
    # the maker's vehicle types: operators keep them, agents read
    'iot.vehicle.type': Grant(agent='r', shared=True),
    # their fault catalogues, kept and read as the types (issue 17)
    'iot.fault': Grant(agent='r', shared=True),
    # the link table of faults and parts has no RPC method
    'iot.fault-product.product': Grant(operator='', shared=True),
    # The broker's refusals of the whole database (one MQTT tenant per
    # database), without company: every operator reads them (known limit,
    # docs/security.md)
    'iot.telemetry.reject': Grant(operator='r', shared=True),
    # marcier_security
    'marcier.audit': Grant(operator='r', companyless_shared=True),
    'res.user.totp': Grant(operator='', per_user=True),
    'res.user.totp.recovery': Grant(operator='', per_user=True),
    # marcier_mall: the operator keeps the catalogue (Product
    # Administration), everyone reads it; agents keep their listings, the
    # operator reviews them
    'product.template': Grant(anyone='r', shared=True),
    'product.category': Grant(anyone='r', shared=True),
    'product.image': Grant(anyone='r', shared=True),
    'mall.product.model': Grant(anyone='r', shared=True),
    'mall.product.parameter': Grant(anyone='r', shared=True),
    'mall.listing': Grant(agent='rwcd', buttons={
            'approve': 'operator', 'reject': 'operator',
            'detail': 'operator', 'draft': 'operator agent',
            'submit': 'operator agent', 'delist': 'operator agent'}),
    # the link table of listings and cities has no RPC method
    'mall.listing-marcier.city': Grant(operator=''),
    'mall.listing.price': Grant(agent='rwcd'),
    'mall.listing.log': Grant(operator='r', agent='r',
        refusals=('written by its workflow only',)),
    'mall.inquiry': Grant(operator='rw', agent='rw'),
    # marcier_web: the public pages' throttle counters
    'web.client.attempt': Grant(operator=''),
    # marcier_lease
    'lease.configuration': Grant(operator='', anyone='r', shared=True),
    'lease.contract.line': Grant(agent='rwcd'),
    'lease.quotation.line': Grant(agent='rwcd'),
    'lease.payment': Grant(operator='r', agent='r'),
    # collections: the daily run accrues the late fees and makes the
    # dunnings; fees are waived (their reason written), never deleted
    'lease.late_fee': Grant(operator='rw', agent='rw'),
    # the samples are the dunning run's reminders: not deleted by hand
    'lease.installment.follow_up': Grant(operator='rwc', agent='rwc',
        refusals=('dunning run only',)),
    # agents request, operators decide (buttons); kept as a record
    'lease.lock.request': Grant(operator='rwc', agent='rwc',
        buttons={'approve': 'operator', 'refuse': 'operator',
            'unlock': 'operator'},
        refusals=('cannot be deleted',)),
    'account.dunning': Grant(operator='r'),
    # the receivable lines of the dunnings, which operators read
    'account.move.line': Grant(operator='r'),
    'account.dunning.level': Grant(operator='rwcd', shared=True),
    # per agent and day sums, read by the charts' SQL only
    'lease.revenue.day': Grant(operator=''),
    'lease.reporting.contract_status': Grant(operator='r', agent='r'),
    'lease.reporting.overdue': Grant(operator='r', agent='r'),
    'lease.reporting.revenue': Grant(operator='r', agent='r'),
    'lease.reporting.revenue.time_series': Grant(operator='r', agent='r'),
    'lease.reporting.vehicle_status': Grant(operator='r', agent='r'),
    # computed by the scheduled task; the charts and the vehicle's
    # figures read them
    'lease.utilisation.day': Grant(operator='r', agent='r'),
    'lease.reporting.utilisation': Grant(operator='r', agent='r'),
    'lease.reporting.utilisation.time_series': Grant(
        operator='r', agent='r'),
    # marcier_wechat: the official account is the operator's; customers'
    # repair requests go to the vehicle's agent
    'wechat.account': Grant(buttons={'publish_menu': 'operator'}),
    'wechat.user': Grant(operator='r'),
    'wechat.push': Grant(operator=''),
    'wechat.store': Grant(operator=''),
    'device.repair': Grant(operator='rw', agent='rw'),
    'device.repair.photo': Grant(operator='rw', agent='rw'),
    'device.repair.rating': Grant(operator='r', agent='r'),
    # Tryton's models the modules extend: Tryton's rights, unchanged
    'ir.cron': Grant(operator='', anyone='r', shared=True,
        admin_buttons=('run_once',)),
    'ir.rule': Grant(operator='', anyone='r', shared=True),
    # Who is in which group: agent staff see it of their own agent's staff
    # only (the rules of 'res.user-res.group'; res.user.groups is hidden
    # from them by field access)
    'res.group': Grant(operator='', anyone='r', shared=True,
        agents_own_only=('users',)),
    # Core models with agent data (issue 12).  Users: agent staff read
    # (the harmless fields of) their agent's staff and their company's
    # operators; operators read every user, as in Tryton
    'res.user': Grant(operator='', anyone='r', shared=True,
        admin_buttons=('reset_password',),
        # Staff accounts (A1): operators manage staff, agents no one
        # (tests/security/test_staff.py)
        buttons={b: 'operator' for b in ['deactivate_staff',
                'reactivate_staff', 'reset_staff_password', 'set_staff_roles',
                'reset_second_factor']},
        unclicked=('deactivate_staff',),
        refusals=('users cannot be deleted',),
        agent_reach={'own': 'r', 'company': 'r'},
        hidden_from_agents=('groups',)),
    # Roles: Tryton's rights (administrators change them); operators give
    # staff the roles of their kind through a wizard
    'res.role': Grant(operator='', anyone='r', shared=True),
    # Renters' accounts (D4): their company's operators read them, agent
    # staff none; the renter's pages change them as user 0
    'web.user': Grant(operator='', anyone='r',
        agent_reach={'company': ''}),
    # Parties belong to the companies and agents whose records use them
    # (marcier_base/party.py): agent staff change their customers' and
    # read the company's and agents' parties
    'party.party': Grant(operator='', anyone='rwcd', companyless_shared=True,
        agent_reach=PARTY_REACH),
    'party.contact_mechanism': Grant(operator='', anyone='rwcd',
        companyless_shared=True, agent_reach=PARTY_REACH),
    'party.address': Grant(operator='', anyone='rwcd',
        companyless_shared=True, agent_reach=PARTY_REACH),
    # on the resources the caller may read (write to change them)
    'ir.attachment': Grant(operator='', anyone='rwcd',
        companyless_shared=True, agent_reach=PARTY_REACH),
    'ir.note': Grant(operator='', anyone='rwcd',
        companyless_shared=True, agent_reach=PARTY_REACH),
    # no RPC method: wizards use them through their own session ids
    # (tests/security/test_core_models.py)
    'ir.session.wizard': Grant(operator='', per_user=True),
    'res.notification': Grant(operator='', anyone='r', per_user=True,
        buttons={'open_related': 'operator agent',
            'mark_unread': 'operator agent'}),
    }

# The back-office roles of the matrix: (group, company, agent code)
ROLES = {
    'anonymous': None,
    'customer': None,
    'agent_a': ('agent', 'co1', 'A'),
    'agent_b': ('agent', 'co1', 'B'),
    'operator': ('operator', 'co1', None),
    'other_company': ('operator', 'co2', None),
    }
AGENT_CODES = {'A', 'B', 'C'}


def grant(model, facts):
    "The model's Grant, or None when the policy does not cover it"
    if model in POLICY:
        return POLICY[model]
    if facts[model]['agent_owned']:
        return AGENT_OWNED


def rights(model, facts, role):
    "Letters the role has on the model, whatever the record"
    grant_ = grant(model, facts)
    if ROLES[role] is None:
        return ''
    group = ROLES[role][0]
    return ''.join(sorted(set(getattr(grant_, group) + grant_.anyone)))


def agent_letters(grant_, role, owner):
    """The letters agent staff have on a record of owner of a core model
    (Grant.agent_reach), or None when the policy does not say"""
    if grant_.agent_reach is None or ROLES[role] is None:
        return None
    group, company, agent = ROLES[role]
    if group != 'agent':
        return None
    if agent in owner.split('+'):
        key = 'own'
    elif owner == company:
        key = 'company'
    else:
        key = owner
    return grant_.agent_reach.get(key, '')


def reaches(model, facts, role, owner):
    "Whether the role reaches a record of owner (see facts.owner)"
    grant_ = grant(model, facts)
    if ROLES[role] is None:
        return False
    group, company, agent = ROLES[role]
    if grant_.per_user:
        return owner == f'user:{role}'
    letters = agent_letters(grant_, role, owner)
    if letters is not None:
        return bool(letters)
    if grant_.shared:
        return True
    if owner == 'shared':
        return grant_.companyless_shared
    record_company = 'co2' if owner == 'co2' else 'co1'
    if record_company != company:
        return False
    if group == 'agent':
        scoped = facts[model]['agent_owned'] or any(
            facts.get(p, {}).get('agent_owned')
            for p in facts[model]['parents'].values())
        if grant_.agent_scope == 'own' and scoped:
            return owner == agent
    return True


def searches_through(model, facts, role, field, owner):
    """Whether the role may name a record of owner through the field in a
    domain, beyond reaching the record itself"""
    if not ROLES[role] or ROLES[role][0] != 'agent':
        return True
    grant_ = grant(model, facts)
    if field in grant_.agents_own_only:
        return ROLES[role][2] in owner.split('+')
    return field not in grant_.hidden_from_agents


def allowed(model, facts, role, operation, owner=None, button=None):
    "The expected answer: True (allowed) or False (refused)"
    have = rights(model, facts, role)
    if operation == 'button':
        grant_ = grant(model, facts)
        if button in grant_.admin_buttons:
            return False  # no matrix role is an administrator
        groups = grant_.buttons.get(button)
        if groups is not None:
            need_ok = ROLES[role] is not None and ROLES[role][0] in groups
        else:
            letters = agent_letters(grant_, role, owner or '')
            need_ok = 'w' in have and (letters is None or 'w' in letters)
        return need_ok and 'r' in have and reaches(model, facts, role, owner)
    letter = {'search': 'r', 'read': 'r', 'write': 'w', 'create': 'c',
        'delete': 'd'}[operation]
    if letter not in have:
        return False
    if owner is not None:
        letters = agent_letters(grant(model, facts), role, owner)
        if letters is not None and letter not in letters:
            return False
    if operation == 'search' or (operation == 'create' and owner is None):
        return True
    return reaches(model, facts, role, owner)
