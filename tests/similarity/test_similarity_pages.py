"""Similarity of an assignment's submissions: ranked pairs, starter subtracted, side by side."""

import pytest
from django.urls import reverse

from hub.similarity.models import SimilarityRun
from hub.similarity.services import similarity_run_create

pytestmark = pytest.mark.django_db


def _pair_ids(run):
    return [(p["a"], p["b"]) for p in run.pairs]


def test_the_copied_pair_ranks_first_and_the_starter_does_not_count(hw2, ta, hw2_class):
    run = similarity_run_create(assignment=hw2, by=ta)
    assert run.submissions_compared == 4
    assert run.starter_files == ["gan.py"]
    top = run.pairs[0]
    assert {top["a"], top["b"]} == {hw2_class["ann"].pk, hw2_class["ben"].pk}
    assert top["similarity"] > 0.9
    cat = hw2_class["cat"].pk
    assert all(cat not in pair for pair in _pair_ids(run))  # the starter alone matches nobody
    rest = [p for p in run.pairs[1:]]
    assert all(p["similarity"] < 0.2 for p in rest)


def test_report_page_lists_ranked_pairs_after_a_run(client, course, hw2, ta, hw2_class):
    client.force_login(ta)
    url = reverse("similarity:report", args=[course.slug, hw2.slug])
    assert "Compare the submissions" in client.get(url).content.decode()
    response = client.post(reverse("similarity:run", args=[course.slug, hw2.slug]), follow=True)
    body = response.content.decode()
    assert "Compared 4 submissions" in body
    first_row = body[body.index("<tbody>") :].split("</tr>")[0]
    assert "ann" in first_row and "ben" in first_row
    assert (
        reverse(
            "similarity:pair",
            args=[course.slug, hw2.slug, *sorted([hw2_class["ann"].pk, hw2_class["ben"].pk])],
        )
        in body
    )


def test_pair_page_shows_both_files_with_matching_regions_highlighted(
    client, course, hw2, ta, hw2_class
):
    client.force_login(ta)
    a, b = hw2_class["ann"], hw2_class["ben"]
    response = client.get(reverse("similarity:pair", args=[course.slug, hw2.slug, a.pk, b.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h3>gan.py</h3>") == 2 and "report.pdf" not in body
    assert 'id="a-m1"' in body and 'id="b-m1"' in body and 'class="line match c1"' in body
    assert 'href="#a-m1"' in body and 'href="#b-m1"' in body
    # ben's renamed identifiers are shown as he wrote them
    assert "loss_real" in body and "interp" in body


def test_only_staff_compare_code(client, course, hw2, student, outsider, hw2_class):
    a, b = hw2_class["ann"], hw2_class["ben"]
    urls = [
        reverse("similarity:report", args=[course.slug, hw2.slug]),
        reverse("similarity:pair", args=[course.slug, hw2.slug, a.pk, b.pk]),
    ]
    for user, expected in ((student, 403), (outsider, 404)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == expected
        assert (
            client.post(reverse("similarity:run", args=[course.slug, hw2.slug])).status_code
            == expected
        )
    client.force_login(a.student)  # a student may not see a pair, even one with their own work
    assert client.get(urls[1]).status_code == 403
    assert not SimilarityRun.objects.exists()


def test_pair_of_another_assignment_is_404(client, course, ta, hw2_class):
    client.force_login(ta)
    a, b = hw2_class["ann"], hw2_class["ben"]
    assert (
        client.get(reverse("similarity:pair", args=[course.slug, "hw1", a.pk, b.pk])).status_code
        == 404
    )
