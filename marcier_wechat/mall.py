# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Keyword replies from the mall: the listings matching what the user
sent, as news articles opening the mall's pages (mobile layout in WeChat)."""
from marcier_mall import storefront

from trytond.pool import PoolMeta


class Account(metaclass=PoolMeta):
    __name__ = 'wechat.account'

    def keyword_articles(self, text):
        articles = super().keyword_articles(text)
        cards, *_ = storefront.search(text=text[:60])
        for card in cards:
            price = card['price']
            cover = card['cover']
            articles.append({
                    'title': card['name'],
                    'description': ' · '.join(filter(None, [
                                card['category'], card['city'],
                                card['agent'],
                                f"{price['symbol']}{price['amount']}"
                                f"/{price['unit']}" if price else None])),
                    'image': self.page_url(
                        f"/mall/picture/{cover['id']}/{cover['size']}.jpg"
                        f"?v={cover['version']}") or '' if cover else '',
                    'url': self.page_url(f"/mall/{card['id']}") or '',
                    })
        return articles
