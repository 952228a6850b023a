from django.urls import path

from apps.plots import views

urlpatterns = [
    path("plots/", views.plot_list, name="plot-browser"),
    path("plots/new", views.plot_list_new, name="plot-browser-new"),
    path("plots/<int:pk>/", views.plot_detail, name="plot-page"),
    path("plots/<int:pk>/label", views.plot_label, name="plot-page-label"),
    path("plots/<int:pk>/image", views.plot_image, name="plot-image"),
    path("groups/", views.group_list, name="group-tree"),
]
