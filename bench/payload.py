"""The baselines' fragment: HTML of a given size that carries a marker the clients look for."""


def fragment_of_size(marker: str, size: int) -> str:
    head = f'<div hx-swap-oob="afterbegin:#inject-feed"><article data-marker="{marker}"><h3>{marker}</h3><p>'
    tail = "</p></article></div>"
    return head + "x" * max(0, size - len(head) - len(tail)) + tail
