from django.urls import path

from apps.wiki import views

urlpatterns = [
    path("plot-types/<int:pk>/", views.plot_type_detail, name="plot-type-page"),
    path("plot-types/<int:pk>/edit/", views.plot_type_edit, name="plot-type-edit"),
    path("plot-types/<int:pk>/questions/", views.ask, name="plot-type-ask"),
    path("questions/<int:pk>/answer/", views.answer, name="question-answer"),
]
