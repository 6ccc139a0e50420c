from django.urls import path

from beffroi.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("audit/", views.audit_log, name="audit"),
    # The crisis room's wall screen: the followed crisis (or the veille), or a given one.
    path("mur/", views.wall, name="wall"),
    path("mur/<int:pk>/", views.wall, name="wall_crisis"),
]
