# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The smallest accounting bills and payments need: Tryton's universal chart
of accounts, fiscal years with their sequences, a cash payment method and
the leasing configuration.  Used by the demo and the tests; idempotent."""
import datetime as dt

from trytond.pool import Pool
from trytond.transaction import Transaction

CHART = ('account', 'account_template_root_en')
CASH_CODE = '1.1.1'


def ensure_accounting(company, years):
    "Set up the accounting of company for the calendar years"
    pool = Pool()
    Configuration = pool.get('lease.configuration')
    with Transaction().set_context(company=company.id):
        accounts = _chart(company)
        for year in years:
            _fiscalyear(company, year)
        method = _payment_method(company, accounts['cash'])
        config = Configuration(1)
        config.revenue_account = config.revenue_account or accounts['revenue']
        config.payment_method = config.payment_method or method
        config.save()
    return accounts


def _chart(company):
    pool = Pool()
    Account = pool.get('account.account')
    Template = pool.get('account.account.template')
    ModelData = pool.get('ir.model.data')
    CreateChart = pool.get('account.create_chart', type='wizard')

    def find(domain):
        accounts = Account.search([
                ('company', '=', company.id), ('closed', '!=', True),
                *domain], limit=1, order=[('code', 'ASC')])
        return accounts[0] if accounts else None

    if not find([]):
        session_id, _, _ = CreateChart.create()
        wizard = CreateChart(session_id)
        wizard.account.account_template = Template(
            ModelData.get_id(*CHART))
        wizard.account.company = company
        wizard.transition_create_account()
        wizard.properties.company = company
        wizard.properties.account_receivable = find([
                ('type.receivable', '=', True),
                ('party_required', '=', True)])
        wizard.properties.account_payable = find([
                ('type.payable', '=', True),
                ('party_required', '=', True)])
        wizard.transition_create_properties()
        CreateChart.delete(session_id)
    return {
        'revenue': find([('type.revenue', '=', True)]),
        'cash': find([('code', '=', CASH_CODE)]),
        }


def _fiscalyear(company, year):
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    SequenceType = pool.get('ir.sequence.type')
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if FiscalYear.search([
                ('company', '=', company.id),
                ('start_date', '<=', start), ('end_date', '>=', end)],
            limit=1):
        return

    def sequence(type_name, prefix):
        sequence_type, = SequenceType.search(
            [('name', '=', type_name)], limit=1)
        sequence, = Sequence.create([{
                    'name': f'{type_name} {year}',
                    'sequence_type': sequence_type.id,
                    'company': company.id,
                    'prefix': prefix,
                    }])
        return sequence.id
    moves = sequence("Account Move", f'M{year}-')
    invoices = sequence("Invoice", f'B{year}-')
    fiscalyear, = FiscalYear.create([{
                'name': str(year),
                'company': company.id,
                'start_date': start,
                'end_date': end,
                'move_sequence': moves,
                'invoice_sequences': [('create', [{
                                'company': company.id,
                                'out_invoice_sequence': invoices,
                                'out_credit_note_sequence': invoices,
                                'in_invoice_sequence': invoices,
                                'in_credit_note_sequence': invoices,
                                }])],
                }])
    FiscalYear.create_period([fiscalyear])


def _payment_method(company, cash):
    pool = Pool()
    Method = pool.get('account.invoice.payment.method')
    Journal = pool.get('account.journal')
    methods = Method.search([('company', '=', company.id)], limit=1)
    if methods:
        return methods[0]
    journal, = Journal.search([('type', '=', 'cash')], limit=1)
    method, = Method.create([{
                'company': company.id,
                'name': "Bank Transfer",
                'journal': journal.id,
                'credit_account': cash.id,
                'debit_account': cash.id,
                }])
    return method
