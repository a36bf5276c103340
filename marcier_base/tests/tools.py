# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Proteus helpers of the scenarios: the agents, cities and back-office
users every Marcier user story starts from (test_module.py has the same
for the unit tests, on the pool)."""
from proteus import Model

from trytond.modules.company.tests.tools import get_company

__all__ = ['create_city', 'create_agent', 'create_user']


def create_city(name, latitude=31.23, longitude=121.47, config=None):
    City = Model.get('marcier.city', config=config)
    city = City(name=name, latitude=latitude, longitude=longitude)
    city.save()
    return city


def create_agent(code, name=None, cities=None, company=None, config=None):
    Party = Model.get('party.party', config=config)
    Agent = Model.get('marcier.agent', config=config)
    party = Party(name=name or f"Agent {code}")
    party.save()
    agent = Agent(
        party=party, code=code, company=company or get_company(config))
    agent.cities.extend(cities or [])
    agent.save()
    return agent


def create_user(login, role, agent=None, company=None, config=None):
    """A back-office user with marcier_base's role ('role_operator',
    'role_agent') in the company, staff of agent if given"""
    User = Model.get('res.user', config=config)
    Role = Model.get('res.role', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    company = company or get_company(config)
    user = User(login=login, name=login, agent=agent)
    user.companies.append(company)
    user.company = company
    user.roles.new(role=Role(ModelData.get_id('marcier_base', role, {})))
    user.save()
    return user
