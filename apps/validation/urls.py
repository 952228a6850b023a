from django.urls import path

from apps.validation import views

urlpatterns = [
    path("validation/", views.overview, name="validation"),
    path("validation/reports/new", views.report_create, name="validation-report-create"),
    path("validation/reports/<int:pk>/", views.report_page, name="validation-report"),
    path("validation/reports/<int:pk>/recompute", views.report_recompute, name="validation-recompute"),
    path("validation/thresholds/<int:plot_type>", views.thresholds_save, name="validation-thresholds"),
    path("validation/explore/", views.explore, name="validation-explore"),
    path("validation/maps/<int:pk>/points.bin", views.map_points, name="validation-map-data"),
    path("validation/maps/compute", views.map_compute, name="validation-map-compute"),
    path("validation/models/train", views.model_train, name="validation-model-train"),
    path("validation/thumb/<int:pk>", views.plot_thumbnail, name="validation-thumb"),
    path("validation/different/", views.different, name="validation-different"),
    path("validation/compare/<int:pk>/", views.compare_page, name="validation-compare"),
    path("validation/compare/<int:pk>/difference.png", views.compare_difference, name="validation-compare-difference"),
    path("validation/compare/<int:pk>/siamese.json", views.compare_siamese, name="validation-compare-siamese"),
    path("validation/compare/<int:pk>/errors.png", views.compare_errors, name="validation-compare-errors"),
    path("validation/simulate/", views.simulate_page, name="validation-simulate"),
]
