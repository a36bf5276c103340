"""What the security matrix needs to know about a set-up demo database,
read from its pool: the declared facts of every model a Marcier module
registers or extends (so that a new module's models join the matrix by
themselves) and, per model, sample record ids with their owner.

It also seeds a second tenant: company "Other Tenant Ltd" with the user
other_company, an agent X, a customer and a vehicle.

    python -m tests.security.facts --db URI   # prints JSON
"""
import argparse
import json

from marcier import settings

OTHER_COMPANY = "Other Tenant Ltd"
OTHER_LOGIN = 'other_company'
# Tryton's models that hold agent data though no Marcier module extends
# them (issue 12): the matrix covers them too.  party.party, res.user and
# ir.session.wizard join by themselves (Marcier modules extend them).
CORE_MODELS = {'party.contact_mechanism', 'party.address', 'ir.attachment',
    'ir.note', 'account.move.line'}


def seed(pool, password):
    "The second tenant, made once"
    from marcier_base.demo import _user, ensure
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    Agent = pool.get('marcier.agent')
    Customer = pool.get('marcier.customer')
    Vehicle = pool.get('device.vehicle')
    from trytond.transaction import Transaction
    party = ensure(Party, [('name', '=', OTHER_COMPANY)])
    currency, = Currency.search([('code', '=', 'CNY')])
    company = ensure(Company, [('party', '=', party.id)], {
            'currency': currency.id})
    _user(OTHER_LOGIN, "Other Tenant Operator", 'role_operator', company,
        password)
    with Transaction().set_context(company=company.id):
        agent = ensure(Agent, [('code', '=', 'X')], {
                'party': ensure(Party, [('name', '=', "Agent X")]).id,
                'company': company.id})
        ensure(Customer, [('agent', '=', agent.id)], {
                'party': ensure(Party, [('name', '=', "Customer X")]).id,
                'company': company.id})
        ensure(Vehicle, [('serial', '=', 'XTN0001')], {
                'company': company.id, 'agent': agent.id,
                'gateway_id': 'gw-xtn0001'})
    seed_iot(pool, Agent.search([('code', 'in', ['A', 'B', 'X'])]))
    seed_resources(pool, Agent.search([('code', 'in', ['A', 'B', 'X'])]))
    seed_collections(pool, Agent.search([('code', 'in', ['A', 'B'])]))
    return company


def seed_collections(pool, agents):
    """A drive lock request per agent (the demo's dunning run makes the
    late fees and follow-ups of both)"""
    LockRequest = pool.get('lease.lock.request')
    Installment = pool.get('lease.installment')
    for agent in agents:
        if LockRequest.search([('agent', '=', agent.id)], limit=1):
            continue
        for bill in Installment.search([
                    ('agent', '=', agent.id), ('overdue', '=', True),
                    ('contract.state', 'in', ['in_progress', 'suspended']),
                    ], order=[('due_date', 'ASC')]):
            vehicles = [v for v in bill.contract.vehicles if v.gateway_id]
            if vehicles:
                LockRequest.create([{'contract': bill.contract.id,
                            'vehicle': vehicles[0].id,
                            'reason': f"Security matrix: {agent.code}"}])
                break


def seed_resources(pool, agents):
    """A contact mechanism of a customer's party, an attachment and a note
    on it and on a vehicle, per agent"""
    from marcier_base.demo import ensure
    Customer = pool.get('marcier.customer')
    Vehicle = pool.get('device.vehicle')
    for agent in agents:
        customer, = Customer.search([('agent', '=', agent.id)],
            order=[('id', 'ASC')], limit=1)
        vehicle, = Vehicle.search([('agent', '=', agent.id)],
            order=[('id', 'ASC')], limit=1)
        # an e-mail, not a mobile: WeChat binding finds parties by mobile
        ensure(pool.get('party.contact_mechanism'), [
                ('party', '=', customer.party.id), ('type', '=', 'email')],
            {'value': f'customer-{agent.code.lower()}@example.com'})
        # the customer's renter account (a number no demo party has)
        ensure(pool.get('web.user'), [('party', '=', customer.party.id)],
            {'company': agent.company.id,
                'mobile': f'1990000{ord(agent.code):04d}'})
        for resource in [customer.party, vehicle]:
            resource = str(resource)
            ensure(pool.get('ir.attachment'), [('resource', '=', resource)],
                {'name': f'{agent.code}.txt', 'type': 'data',
                    'data': b'contract scan'})
            ensure(pool.get('ir.note'), [('resource', '=', resource)],
                {'message': f"Note of agent {agent.code}"})


def seed_iot(pool, agents):
    """An alarm, a command, a sample, figures, a trip and a utilisation day
    per agent"""
    import datetime as dt
    from marcier_base.demo import ensure
    Vehicle = pool.get('device.vehicle')
    now = dt.datetime.now().replace(microsecond=0)
    for agent in agents:
        vehicle, = Vehicle.search([
                ('agent', '=', agent.id), ('gateway_id', '!=', None)],
            order=[('serial', 'ASC')], limit=1)
        owned = {'vehicle': vehicle.id, 'company': vehicle.company.id,
            'agent': agent.id}
        for model, values in [
                ('iot.alarm', {'kind': 'no_data', 'state': 'open',
                        'opened': now}),
                ('iot.command', {'kind': 'diagnostics', 'state': 'draft'}),
                ('iot.telemetry', {'timestamp': now, 'received': now}),
                ('iot.rollup.hour', {'hour': now.replace(minute=0,
                            second=0)}),
                ('iot.rollup.day', {'date': now.date()}),
                ('iot.trip', {'start': now, 'state': 'closed'}),
                ('lease.utilisation.day', {'date': now.date(),
                        'week': now.date() - dt.timedelta(
                            days=now.weekday()),
                        'month': now.date().replace(day=1)}),
                ]:
            ensure(pool.get(model), [
                    ('vehicle', '=', vehicle.id)], {**owned, **values})


def owner(record, company):
    """Who a record belongs to: an agent code of the demo company (A, B,
    C), 'co1' (demo company), 'co2' (other tenant), 'user:<login>' or
    'shared'"""
    from trytond.ir.resource import ResourceAccessMixin
    fields = record._fields
    if record.__name__ == 'party.party':
        return party_owner(record, company)
    if record.__name__ == 'ir.session.wizard':
        return f'user:{record.create_uid.login}' if record.create_uid else (
            'shared')
    if isinstance(record, ResourceAccessMixin):  # attachments, notes
        return owner(record.resource, company) if record.resource else (
            'shared')
    if 'company' in fields and getattr(
            fields['company'], 'model_name', None) == 'company.company':
        if not record.company:
            return 'shared'
        if record.company.id != company.id:
            return 'co2'
        agent = getattr(record, 'agent', None) if 'agent' in fields else None
        if agent is not None and agent.__name__ == 'marcier.agent':
            return agent.code
        return 'co1'
    for parent in sorted(getattr(record, '__access__', ())):
        if getattr(record, parent, None):
            return owner(getattr(record, parent), company)
    if 'user' in fields and getattr(
            fields['user'], 'model_name', None) == 'res.user' and record.user:
        return f'user:{record.user.login}'
    return 'shared'


RELATIONAL = {'many2one', 'one2many', 'many2many', 'reference'}


def relations(pool, Model):
    """{field: {'type', 'targets'}}: the relational fields a search domain
    may go through (stored, or with a searcher)"""
    from trytond.model import ModelSQL, fields
    result = {}
    for name, field in Model._fields.items():
        if isinstance(field, fields.Function):
            if not field.searcher:
                continue
            field = field._field
        type_ = field._type
        if type_ not in RELATIONAL:
            continue
        if type_ == 'reference':
            selection = field.selection
            if isinstance(selection, str):
                selection = getattr(Model, selection)()
            targets = [m for m, _ in selection if m]
        else:
            targets = [field.get_target().__name__]
        targets = [t for t in targets
            if issubclass(pool.get(t), ModelSQL)
            and not pool.get(t)._is_table_query()]
        if targets:
            result[name] = {'type': type_, 'targets': sorted(targets)}
    return result


def links(pool, models):
    """Per model and relation: {target model: {target id: [ids of records
    linked to it]}} for the sample targets of every owner, found by root"""
    from trytond.transaction import Transaction
    for name, facts in models.items():
        Model = pool.get(name)
        facts['links'] = {}
        for field, relation in facts['relations'].items():
            found = facts['links'][field] = {}
            for target in relation['targets']:
                owners = models.get(target, {}).get('owners', {})
                for ids in owners.values():
                    domain = (link_domain(field, relation, target, ids[0])
                        if ids else None)
                    if not domain:
                        continue
                    cursor = Transaction().connection.cursor()
                    # (on PostgreSQL a failed query aborts the transaction)
                    cursor.execute('SAVEPOINT link')
                    try:
                        records = Model.search(domain, order=[])
                    except Exception:  # a searcher that refuses ids
                        cursor.execute('ROLLBACK TO SAVEPOINT link')
                        continue
                    cursor.execute('RELEASE SAVEPOINT link')
                    if records:
                        found.setdefault(target, {})[ids[0]] = [
                            r.id for r in records]


def link_domain(field, relation, target, id_):
    "The domain of the records linked to target record id_ through field"
    if relation['type'] == 'reference':
        return [(f'{field}.id', '=', id_, target)]
    return [(field, 'where', [('id', '=', id_)])]


def workflow(Model):
    """{field: {'values': [values to write], 'initial': its default}}: the
    fields only the workflow sets (marcier_base.model.WorkflowFieldsMixin)"""
    if not hasattr(Model, 'workflow_fields'):
        return {}
    result = {}
    for name in sorted(Model.workflow_fields()):
        field = Model._fields[name]
        if field._type == 'selection':
            selection = field.selection
            if isinstance(selection, str):
                selection = getattr(Model, selection)()
            values = [v for v, _ in selection if v]
        else:
            # Any value is a forged write: these need no JSON encoding
            values = [{'boolean': True, 'char': 'forged'}.get(
                        field._type)]
        initial = Model._defaults.get(name)
        result[name] = {'values': values,
            'initial': initial() if initial else None}
    return result


def party_owner(party, company):
    """A party is its agents' when it is their customer ('A', 'A+B'), else
    its company's when a company, employee or agent uses it, else shared"""
    agents = party.marcier_agents
    if agents:
        codes = sorted(a.code for a in agents if a.company == company)
        return '+'.join(codes) if codes else 'co2'
    companies = party.marcier_companies
    if companies:
        return 'co1' if company in companies else 'co2'
    return 'shared'


def change_relations(Model, samples):
    """Relational fields, for the on_change checks (onchange.py): target,
    whether on_change and the on_change_with of which fields use it, and
    per owner of a sample record one id it names (targets outside
    Marcier's models have no owners of their own)"""
    from trytond.model import ModelView
    if not issubclass(Model, ModelView):
        return {}
    result = {}
    for name, field in sorted(Model._fields.items()):
        if field._type not in RELATIONAL | {'one2one'} or name in {
                'create_uid', 'write_uid'}:
            continue
        named = {}
        for owner_, ids in samples.items():
            for record in Model.browse(ids[:5]):
                value = getattr(record, name, None)
                value = value[0] if isinstance(value, tuple) and value else value
                if value and getattr(value, 'id', -1) >= 0:
                    named[owner_] = [value.__name__, value.id]
                    break
        result[name] = {
            'type': field._type,
            'target': (field.get_target().__name__
                if hasattr(field, 'get_target') else None),
            'on_change': bool(field.on_change),
            'with': sorted(f for f, other in Model._fields.items()
                if name in {d.split('.')[0].removeprefix('_parent_')
                    for d in (other.on_change_with or ())}
                and f'on_change_with_{f}' in Model.__rpc__),
            'named': named,
            }
    return result


def facts(uri):
    database = settings.parse_database(uri)
    settings.configure(database)
    from trytond.model import ModelSingleton, ModelSQL, ModelStorage
    from trytond.pool import Pool, isregisteredby
    from trytond.transaction import Transaction

    from marcier_base.demo import company as demo_company
    from marcier_base.model import AgentOwnedMixin
    pool = Pool(database.name)
    pool.init()
    modules = [m for m in pool._modules if m.startswith('marcier_')]
    with Transaction().start(database.name, 0):
        seed(pool, settings.DEMO_PASSWORD)
        Transaction().commit()
    result = {}
    with Transaction().start(database.name, 0, readonly=True):
        company = demo_company()
        for name, Model in pool.iterobject():
            by = [m for m in modules if isregisteredby(Model, m)]
            if (not by and name not in CORE_MODELS
                    or not issubclass(Model, ModelStorage)):
                continue
            Button = pool.get('ir.model.button')
            samples = {}
            if issubclass(Model, ModelSQL) and not Model._is_table_query():
                for record in Model.search([], order=[('id', 'ASC')]):
                    samples.setdefault(owner(record, company), []).append(
                        record.id)
            result[name] = {
                'modules': by,
                'agent_owned': issubclass(Model, AgentOwnedMixin),
                'parents': {p: Model._fields[p].model_name
                    for p in sorted(Model.__access__)},
                'references': sorted({f.model_name
                        for f in Model._fields.values()
                        if f._type == 'many2one'} - {name}),
                'table_query': Model._is_table_query(),
                'singleton': issubclass(Model, ModelSingleton),
                'rpc': sorted(Model.__rpc__),
                'buttons': {b: sorted(
                        g for g in Button.get_groups(name, b))
                    for b in getattr(Model, '_buttons', {})},
                'owners': samples,
                'relations': relations(pool, Model),
                'workflow': workflow(Model),
                'change_relations': change_relations(Model, samples),
                }
        links(pool, result)
        Agent = pool.get('marcier.agent')
        agents = {a.code: a.id for a in Agent.search([])}
    return {'models': result, 'agents': agents}


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--db', required=True)
    print(json.dumps(facts(parser.parse_args().db), sort_keys=True))
