from django.urls import path

from beffroi.sources import views

app_name = "sources"

urlpatterns = [
    path("", views.index, name="index"),
    path("importer/", views.upload, name="upload"),
    path("importer/<str:token>/", views.confirm, name="confirm"),
    path("jeux/<slug:name>/", views.dataset_detail, name="dataset"),
    path("jeux/<slug:name>/export.csv", views.dataset_export, name="export"),
    path("sources/nouvelle/", views.source_new, name="source_new"),
    path("stations-vigicrues.json", views.vigicrues_stations, name="vigicrues_stations"),
    path("sources/<slug:name>/", views.source_detail, name="source"),
    path("sources/<slug:name>/executer/", views.run_now, name="run"),
]
