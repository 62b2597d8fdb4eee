"""How planning reads a phrase: the need category it names and the words that carry its meaning.

Survey answers, partners' offers and neighbors' requests are free text; matching them needs one
shared reading, so "rides to the clinic" finds "can drive on weekday mornings" and "medical care"
counts as a health need everywhere.
"""

from __future__ import annotations

import re

from magnet.records import NeedCategory

# Words that reveal a need category in an option or a written answer; the earliest match wins.
_KEYWORDS: dict[str, str] = {
    NeedCategory.WATER.value: r"water|drinking|thirst\w*",
    NeedCategory.FOOD_SECURITY.value: r"food|meals?|grocer\w*|hunger|hungry|pantry|pantries|eat|eating",
    NeedCategory.HEALTH.value: (
        r"medic\w*|health|clinic|doctors?|nurs\w*|pharmac\w*|prescriptions?|oxygen|insulin|disab\w*"
        r"|wheelchairs?|mobility|first aid|illness|sick|dialysis|hospitals?|medications?"
    ),
    NeedCategory.ISOLATION.value: r"alone|lonel\w*|isolat\w*|elders?|elderly|company|visits?",
    NeedCategory.SHELTER.value: r"shelter|housing|roofs?|heating|heat|warmth|cold|tarps?",
    NeedCategory.COMMUNICATION.value: r"communicat\w*|phones?|radios?|internet|news|contact",
    NeedCategory.TRANSPORT.value: r"transport\w*|rides?|driv\w*|cars?|bus|lifts?",
    NeedCategory.CHILDCARE.value: r"child\w*|kids?|babysit\w*|school\w*",
    NeedCategory.EMERGENCY_RESPONSE.value: (
        r"emergenc\w*|evacuat\w*|fires?|floods?|storms?|rescue|prepar\w*|power|generators?|outages?"
    ),
}
_KEYWORD_RES = {category: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for category, words in _KEYWORDS.items()}
# fmt: off
_STOP = frozenset({
    "a", "an", "and", "the", "to", "for", "of", "on", "in", "at", "with", "from", "my", "our", "your", "me",
    "we", "can", "could", "would", "will", "need", "needs", "needed", "help", "offer", "offers", "request",
    "requests", "some", "any", "have", "has", "is", "are", "be", "it", "this", "that", "or", "by", "per",
})
# fmt: on


def category_for(text: str) -> str | None:
    """The need category a phrase names ('medical care' -> health), by its earliest keyword."""
    found = [(m.start(), category) for category, pattern in _KEYWORD_RES.items() if (m := pattern.search(text))]
    return min(found)[1] if found else None


def categories_in(text: str) -> set[str]:
    """Every need category a written answer mentions."""
    return {category for category, pattern in _KEYWORD_RES.items() if pattern.search(text)}


def words(text: str) -> set[str]:
    """The words of a phrase that carry meaning, singular: 'Rides to the clinic' -> {'ride', 'clinic'}."""
    found = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in _STOP or len(word) < 3:
            continue
        found.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return found
