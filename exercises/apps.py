from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exercises"
    verbose_name = "Exercises"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from exercises.middleware import on_login
        from exercises.realtime import end_user_sockets

        # After logout, that user's open sockets stop receiving.
        user_logged_out.connect(end_user_sockets, dispatch_uid="conjunction-end-user-sockets")
        # At login, the user's language (picked, or their team's) is worked out once for the session.
        user_logged_in.connect(on_login, dispatch_uid="conjunction-remember-language")
