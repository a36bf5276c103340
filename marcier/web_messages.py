# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Extract the strings of the public pages and WeChat replies (babel.cfg)
to <module>/web_locale/messages.pot and bring each <language>.po up to
date (new strings untranslated, removed ones dropped).  Run it after
changing a template or a reply: ``python -m marcier.web_messages``.  The
catalogues are compiled in memory at start-up (marcier_web/i18n.py)."""
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
MODULES = ['marcier_web', 'marcier_mall', 'marcier_wechat']
LANGUAGES = ['zh_CN']
KEYWORDS = {'_': None, 'N_': None, 'gettext': None,
    'ngettext': (1, 2)}
# trytond's gettext takes ir.message ids: the back office's catalogues
MESSAGE_ID = re.compile(r'^marcier_\w+\.msg_\w+$')


def extract(module):
    "The catalogue of module's page strings, from its sources"
    with (ROOT / 'babel.cfg').open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    catalog = Catalog(project='Marcier', msgid_bugs_address=None,
        charset='utf-8')
    folder = ROOT / module
    for filename, lineno, message, comments, context in extract_from_dir(
            folder, method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if MESSAGE_ID.match(msgid):
            continue
        catalog.add(message, None, [(filename, lineno)],
            auto_comments=comments, context=context)
    return catalog


def read(path):
    with path.open('rb') as file:
        return read_po(file)


def write(catalog, path, **kwargs):
    with path.open('wb') as file:
        write_po(file, catalog, width=78, omit_header=False,
            sort_output=True, **kwargs)


def main():
    for module in MODULES:
        folder = ROOT / module / 'web_locale'
        folder.mkdir(exist_ok=True)
        template = extract(module)
        write(template, folder / 'messages.pot')
        for language in LANGUAGES:
            path = folder / f'{language}.po'
            if path.exists():
                catalog = read(path)
            else:
                catalog = Catalog(locale=language, project='Marcier')
            catalog.update(template, no_fuzzy_matching=True)
            catalog.fuzzy = False  # the header: the catalogue is in use
            catalog.copyright_holder = 'Marcier'
            write(catalog, path, ignore_obsolete=True)
            missing = [m.id for m in catalog if m.id and not m.string]
            print(f"{path.relative_to(ROOT)}: {len(missing)} untranslated")
    return 0


if __name__ == '__main__':
    sys.exit(main())
