from django.urls import path

from beffroi.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.index, name="index"),
    path("mur/", views.wall, name="wall"),
    path("propositions/", views.proposals, name="proposals"),
    path("indicateurs/nouveau/", views.new_indicator, name="new_indicator"),
    path("indicateurs/<slug:key>/modifier/", views.edit_indicator, name="edit_indicator"),
    path("crise.json", views.crisis_layer, name="crisis_layer"),
    path("couches.json", views.map_layers, name="map_layers"),
    path("propositions/<int:proposal_id>/accepter/", views.decide, {"decision": "accept"}, name="accept"),
    path("propositions/<int:proposal_id>/ecarter/", views.decide, {"decision": "dismiss"}, name="dismiss"),
]
