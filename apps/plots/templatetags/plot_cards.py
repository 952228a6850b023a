from django import template

from apps.plots import cards

register = template.Library()


@register.simple_tag
def plot_cards(plots, view="grid"):
    """``{% plot_cards page.rows state.view %}``: the cards (or list rows) of a page of plots."""
    return cards.render(plots, view)
