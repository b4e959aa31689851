def site(request):
    return {"site_name": "Course platform"}
