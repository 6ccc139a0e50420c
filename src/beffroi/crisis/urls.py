from django.urls import path

from beffroi.crisis import views, views_exercise, views_means, views_tasks

app_name = "crisis"

urlpatterns = [
    path("", views.index, name="index"),
    path("ouvrir/", views.open_crisis, name="open"),
    path("ouvrir/demande/", views.request_open, name="request_open"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/main-courante/", views.log_entries, name="entries"),
    path("<int:pk>/main-courante/ajouter/", views.add_entry, name="add_entry"),
    path("<int:pk>/main-courante/export.csv", views.export_csv, name="export_csv"),
    path("<int:pk>/main-courante/<int:seq>/piece-jointe", views_means.attachment, name="attachment"),
    path("<int:pk>/niveau/", views.escalate, name="escalate"),
    path("<int:pk>/releve/", views.handover, name="handover"),
    path("<int:pk>/cloture/", views.close, name="close"),
    path("<int:pk>/pcc/", views.add_staffing, name="add_staffing"),
    path("<int:pk>/pcc/<int:staff_id>/fin/", views.end_staffing, name="end_staffing"),
    path("<int:pk>/taches/", views_tasks.add_task, name="add_task"),
    path("<int:pk>/taches/miennes/", views_tasks.my_tasks, name="my_tasks"),
    path("<int:pk>/taches/<int:task_id>/statut/", views_tasks.task_status, name="task_status"),
    path("<int:pk>/taches/<int:task_id>/attribuer/", views_tasks.assign_task, name="assign_task"),
    path("<int:pk>/fiche-reflexe/", views_means.start_sheet, name="start_sheet"),
    path("<int:pk>/exercice/tic/", views_exercise.tick, name="exercise_tick"),
    path("fiches-reflexes/", views_means.sheets, name="sheets"),
    path("fiches-reflexes/nouvelle/", views_means.sheet_edit, name="sheet_new"),
    path("fiches-reflexes/<int:sheet_id>/", views_means.sheet_edit, name="sheet_edit"),
    path("annuaire/", views_means.directory, name="directory"),
    path("moyens/", views_means.resources, name="resources"),
    path("moyens/ajouter/", views_means.add_resource, name="add_resource"),
    path("moyens/<int:resource_id>/pret/", views_means.lend_resource, name="lend_resource"),
    path("moyens/pret/<int:loan_id>/retour/", views_means.return_resource, name="return_resource"),
    path("moyens/<int:resource_id>/engager/", views_means.commit_resource, name="commit_resource"),
    path(
        "moyens/engagement/<int:commitment_id>/fin/",
        views_means.release_commitment,
        name="release_commitment",
    ),
    path("moyens/demandes/", views_means.request_resource, name="request_resource"),
    path("moyens/demandes/<int:request_id>/reponse/", views_means.answer_request, name="answer_request"),
    path("moyens/demandes/<int:request_id>/retour/", views_means.return_request, name="return_request"),
    path(
        "hebergements/<int:shelter_id>/occupation/", views_means.shelter_occupancy, name="shelter_occupancy"
    ),
    path("hebergements/<int:shelter_id>/etat/", views_means.shelter_state, name="shelter_state"),
    path("hebergements/<int:shelter_id>/registre/", views_means.shelter_register, name="shelter_register"),
    path(
        "hebergements/<int:shelter_id>/registre/<int:entry_id>/depart/",
        views_means.shelter_departure,
        name="shelter_departure",
    ),
    path("exercices/", views_exercise.exercises, name="exercises"),
    path("exercices/lancer/", views_exercise.start, name="exercise_start"),
]
