from django.urls import path

from beffroi.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.index, name="index"),
    path("nouvelle/", views.compose, name="compose"),
    path("apercu/", views.preview, name="preview"),
    path("estimation/", views.estimate, name="estimate"),
    path("zone/", views.zone, name="zone"),
    path("modele/<str:hazard>/", views.template_texts, name="template"),
    path("modeles/", views.templates_page, name="templates"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/estimation/", views.version_estimate, name="estimate_version"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/soumettre/", views.submit, name="submit"),
    path("<int:pk>/approuver/", views.approve, name="approve"),
    path("<int:pk>/refuser/", views.reject, name="reject"),
    path("<int:pk>/publier/", views.publish, name="publish"),
    path("<int:pk>/mise-a-jour/", views.update, name="update"),
    path("<int:pk>/fin/", views.cancel, name="cancel"),
]
