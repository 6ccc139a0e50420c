from django.urls import path

from beffroi.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.index, name="index"),
    path("commune/<str:commune>/", views.people, name="people"),
    path("commune/<str:commune>/accuses-en-retard/", views.overdue, name="overdue"),
    path("commune/<str:commune>/inscrire/", views.register, name="register"),
    path("commune/<str:commune>/import/", views.import_view, name="import"),
    path("commune/<str:commune>/export-prefet/", views.export_prefect, name="export_prefect"),
    path("commune/<str:commune>/campagne/", views.campaign_new, name="campaign_new"),
    path("fiche/<str:public_id>/", views.person, name="person"),
    path("fiche/<str:public_id>/action/", views.person_action, name="person_action"),
    path("fiche/<str:public_id>/accuse/", views.ack_letter, name="ack_letter"),
    path("fiche/<str:public_id>/export/", views.subject_export, name="subject_export"),
    path("campagne/<int:pk>/", views.campaign, name="campaign"),
    path("campagne/<int:pk>/action/", views.campaign_action, name="campaign_action"),
    path("campagne/<int:pk>/appel/<int:assignment>/", views.outcome, name="outcome"),
    path("campagne/<int:pk>/tournee/<int:route>/", views.route, name="route"),
    path("campagne/<int:pk>/visite/<int:visit>/", views.visit_outcome, name="visit_outcome"),
    path("campagne/<int:pk>/localiser/<str:public_id>/", views.place, name="place"),
    path("acces/", views.access_log, name="access_log"),
    path("nominations/", views.nominations, name="nominations"),
]
