# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Keyword replies from the mall: the listings matching what the user
sent, as news articles opening the mall's pages (mobile layout in WeChat),
in the user's language."""
from marcier_mall import storefront
from marcier_web import i18n
from marcier_web.i18n import _

from trytond.cache import Cache
from trytond.pool import PoolMeta


class Account(metaclass=PoolMeta):
    __name__ = 'wechat.account'
    # The same keywords come again and again: a listing change shows
    # within a minute
    _articles_cache = Cache(
        'wechat_account.keyword_articles', duration=60, context=False)

    def keyword_articles(self, text):
        key = (self.id, text[:60], i18n.current())
        articles = self._articles_cache.get(key)
        if articles is None:
            articles = self._listing_articles(text[:60])
            self._articles_cache.set(key, articles)
        return super().keyword_articles(text) + list(articles)

    def _listing_articles(self, text):
        articles = []
        cards, *rest = storefront.search(text=text)
        for card in cards:
            price = card['price']
            cover = card['cover']
            articles.append({
                    'title': card['name'],
                    'description': ' · '.join(filter(None, [
                                card['category'], card['city'],
                                card['agent'], price_text(price)])),
                    'image': self.page_url(
                        f"/mall/picture/{cover['id']}/{cover['size']}.jpg"
                        f"?v={cover['version']}") or '' if cover else '',
                    # The mall page in the user's language, if not Chinese
                    'url': self.page_url(f"/mall/{card['id']}" + (
                            f'?lang={i18n.current()}'
                            if i18n.current() != i18n.DEFAULT else ''))
                    or '',
                    })
        return articles


def price_text(price):
    "“from ¥4,800 / month” of a card's price"
    if not price:
        return None
    amount = i18n.money(price['amount'], price['currency'])
    if price['unit'] == 'day':
        return _("from %(amount)s / day", amount=amount)
    return _("from %(amount)s / month", amount=amount)
