# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Printed documents: quotation, contract, bill and overdue statement, as
OpenDocument text in the customer's language (the templates call
set_lang); PDF when LibreOffice is installed (README, "Printing")."""
from trytond.pool import Pool
from trytond.report import Report


class LeaseReport(Report):
    "The day of printing is the documents' date"

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['today'] = Pool().get('ir.date').today()
        return context


class QuotationReport(LeaseReport):
    __name__ = 'lease.quotation'


class ContractReport(LeaseReport):
    __name__ = 'lease.contract'


class BillReport(LeaseReport):
    __name__ = 'lease.installment'


class OverdueReport(LeaseReport):
    "The bills of the customer with its agent past due and not fully paid"
    __name__ = 'lease.overdue_statement'

    @classmethod
    def get_context(cls, records, header, data):
        Installment = Pool().get('lease.installment')
        context = super().get_context(records, header, data)
        overdue = {r.id: [] for r in records}
        by_key = {(r.party.id, r.agent.id): r.id for r in records}
        for bill in Installment.search([
                    ('customer', 'in', [k[0] for k in by_key]),
                    ('agent', 'in', [k[1] for k in by_key]),
                    ('overdue', '=', True),
                    ], order=[('due_date', 'ASC'), ('id', 'ASC')]):
            key = (bill.customer.id, bill.agent.id)
            if key in by_key:
                overdue[by_key[key]].append(bill)
        context['overdue'] = overdue
        return context
