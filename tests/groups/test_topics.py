import pytest
from django.core.exceptions import ValidationError

from hub.groups.services import group_create
from hub.groups.topics import paper_url_key_for, topic_key_for


@pytest.mark.parametrize(
    "a, b",
    [
        ("Denoising Diffusion Probabilistic Models", "denoising   diffusion probabilistic models."),
        ("GANs: A Survey", "gans a survey"),
        ("Score-Based Generative Modeling", "score based generative modeling"),
        ("ＧＬＯＷ", "glow"),  # full-width letters fold to the same word
    ],
)
def test_titles_that_differ_only_in_case_spacing_or_punctuation_agree(a, b):
    assert topic_key_for(kind="paper", text=a) == topic_key_for(kind="paper", text=b)


def test_a_paper_and_a_survey_with_the_same_words_are_different_topics():
    assert topic_key_for(kind="paper", text="Flows") != topic_key_for(kind="survey", text="Flows")


def test_punctuation_only_has_no_key():
    assert topic_key_for(kind="paper", text=" -- ! ") == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/2006.11239",
        "http://arxiv.org/abs/2006.11239v2",
        "https://www.arxiv.org/pdf/2006.11239.pdf",
        "https://arxiv.org/pdf/2006.11239v1",
        "arxiv.org/abs/2006.11239/",
    ],
)
def test_arxiv_links_to_one_paper_agree(url):
    assert paper_url_key_for(url) == "arxiv.org/abs/2006.11239"


def test_other_links_keep_their_query_and_case():
    assert (
        paper_url_key_for("https://openreview.net/forum?id=PxTIG12RRHS#top")
        == "openreview.net/forum?id=PxTIG12RRHS"
    )


@pytest.mark.django_db
def test_a_link_must_be_http(discussion_set, student):
    with pytest.raises(ValidationError):
        group_create(
            group_set=discussion_set,
            name="G",
            by=student,
            topic_kind="paper",
            paper_title="x",
            paper_url="javascript:alert(1)",
        )
