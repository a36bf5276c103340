"""The back office's views as sao draws them"""
from lxml import etree

# sao's lists have no column for a date and time: such a field needs the
# widget of its date or of its time, else the list does not open
DATE_TIME = {'datetime', 'timestamp'}


def test_list_columns_sao_can_draw(admin):
    views = admin.search_read('ir.ui.view', [('type', '=', 'tree'),
            ('module', 'like', 'marcier_%'), ('inherit', '=', None)],
        ['model'])
    assert len(views) > 50
    undrawable = []
    for view in views:
        answer = admin(view['model'], 'fields_view_get', view['id'], 'tree')
        for column in etree.fromstring(answer['arch']).iter('field'):
            field = answer['fields'].get(column.get('name'), {})
            if (field.get('type') in DATE_TIME
                    and column.get('widget') not in {'date', 'time'}):
                undrawable.append(f"{view['model']} {column.get('name')}")
    assert not undrawable
