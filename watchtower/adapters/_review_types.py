"""The schema.org types ``kind = "reviews"`` reads, one set per kind of node.

A type is compared by its name, without its vocabulary
(:func:`~watchtower.adapters._jsonld.types`: ``"https://schema.org/UserReview"``
and ``"schema:UserReview"`` are ``UserReview``), and a node with several types
(``["Review", "Thing"]``) is of each.

Subtypes count as their parent, as schema.org defines them: a page writing
``UserReview`` or ``EmployerAggregateRating`` has reviews and an average like
any other, and lost them all while only ``Review`` and ``AggregateRating``
were read (silently: the business was reviewable, so no ``no_reviews``).
``ClaimReview`` and ``MediaReview``, also subtypes of ``Review``, are left out:
they are fact-checks of a claim or a picture, not someone's opinion of a
product or business.
"""

from __future__ import annotations

from typing import Any

from watchtower.adapters._jsonld import types

__all__ = ["AGGREGATE_TYPES", "REVIEWABLE_TYPES", "REVIEW_TYPES", "is_aggregate", "is_review"]

#: A review: ``Review`` and its subtypes (https://schema.org/Review, "More
#: specific Types"), ``ReviewNewsArticle`` being a ``CriticReview``.
REVIEW_TYPES = frozenset(
    {
        "Review",
        "UserReview",
        "CriticReview",
        "EmployerReview",
        "ReviewNewsArticle",
        "Recommendation",
    }
)
#: An average rating: ``AggregateRating`` and its subtype.
AGGREGATE_TYPES = frozenset({"AggregateRating", "EmployerAggregateRating"})

# Types a page about something reviewable carries even before its first review
# (Google's review-snippet types, and the LocalBusiness kinds met on agency
# pages). Organization is left out on purpose: sites put it on every page as
# publisher markup, so it would hide a review page that lost its reviews.
_REVIEWABLE_NAMES = (
    "AutoDealer AutomotiveBusiness BankOrCreditUnion Book Course CreativeWorkSeries "
    "Dentist Event FinancialService FoodEstablishment Game HealthAndBeautyBusiness "
    "Hotel InsuranceAgency LocalBusiness LodgingBusiness MedicalBusiness "
    "MobileApplication Movie MusicRecording Physician Product ProductGroup "
    "ProfessionalService RealEstateAgent Recipe Restaurant Service SoftwareApplication "
    "Store TravelAgency VideoGame WebApplication"
)
#: Something reviewable, with or without reviews yet.
REVIEWABLE_TYPES = frozenset(_REVIEWABLE_NAMES.split())


def is_review(node: dict[str, Any]) -> bool:
    """Whether a JSON-LD node is a review (of any of :data:`REVIEW_TYPES`)."""
    return not REVIEW_TYPES.isdisjoint(types(node))


def is_aggregate(node: dict[str, Any]) -> bool:
    """Whether a JSON-LD node is an average rating (of :data:`AGGREGATE_TYPES`)."""
    return not AGGREGATE_TYPES.isdisjoint(types(node))
