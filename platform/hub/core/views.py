from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from hub.courses.models import Membership


@login_required
def home(request):
    memberships = list(Membership.objects.filter(user=request.user).select_related("course"))
    if len(memberships) == 1:
        return redirect("courses:dashboard", memberships[0].course.slug)
    return render(request, "hub/home.html", {"memberships": memberships})
