"""Ukrainian translations of the jobs' msgids, until the lead merges them into
locales/uk/LC_MESSAGES/crm.po; the jobs tests overlay them on the catalogue."""

UK = {
    # jobs (crm jobs list)
    "Yesterday's sales with the funnel chart: heads their team, managers their own": (
        "Учорашні продажі з діаграмою воронки: керівникам — їхньої команди, менеджерам — власні"
    ),
    "Last week's sales with the funnel chart: heads their team, managers their own": (
        "Продажі минулого тижня з діаграмою воронки: керівникам — їхньої команди, "
        "менеджерам — власні"
    ),
    "Claims: new, in processing, overdue, resolved, by cause": (
        "Претензії: нові, в обробці, прострочені, розглянуті, за причинами"
    ),
    "Deals lost last week: reasons, stages, competitors": (
        "Програні минулого тижня угоди: причини, етапи, конкуренти"
    ),
    "Clients that moved between ABC/XYZ classes in the latest classification": (
        "Клієнти, що змінили клас ABC/XYZ в останній класифікації"
    ),
    "Tasks due within an hour (or at their reminder time) and tasks just overdue": (
        "Завдання зі строком за годину (або в час нагадування) та щойно прострочені"
    ),
    "Planned calls and meetings, 15 minutes before": (
        "Заплановані дзвінки й зустрічі — за 15 хвилин"
    ),
    "Deals without activity past their stage's limit, with one-tap actions": (
        "Угоди без активності понад ліміт етапу, з діями в одне натискання"
    ),
    "Birthdays of the contact persons of one's partners": (
        "Дні народження контактних осіб своїх партнерів"
    ),
    "Partners not contacted for longer than agreed": (
        "Партнери, з якими не було контакту довше, ніж домовлено"
    ),
    "The morning plan: tasks, overdue, calls and meetings, idle deals, birthdays": (
        "Ранковий план: завдання, прострочене, дзвінки й зустрічі, угоди без руху, дні народження"
    ),
    "ABC/XYZ classification of clients for the month that ended (once)": (
        "ABC/XYZ-класифікація клієнтів за місяць, що минув (один раз)"
    ),
    "Sends again what failed (with back-off) or what a stopped process left unsent": (
        "Надсилає повторно те, що не вдалося (із затримкою), або те, що лишилося після зупинки"
    ),
    # scopes
    "Whole company": "Уся компанія",
    "Team: %(team)s": "Команда: %(team)s",
    "Your deals": "Ваші угоди",
    # funnel digest
    "📊 <b>Sales, %(date)s</b>": "📊 <b>Продажі, %(date)s</b>",
    "📊 <b>Sales, week %(from)s – %(to)s</b>": "📊 <b>Продажі, тиждень %(from)s – %(to)s</b>",
    "In brackets: the change against the day before.": "У дужках — зміна проти попереднього дня.",
    "In brackets: the change against the week before.": (
        "У дужках — зміна проти попереднього тижня."
    ),
    "New deals: %(count)s (%(change)s)": "Нові угоди: %(count)s (%(change)s)",
    "Won: %(count)s for %(amount)s (%(change)s)": "Виграно: %(count)s на %(amount)s (%(change)s)",
    "Lost: %(count)s for %(amount)s (%(change)s)": (
        "Програно: %(count)s на %(amount)s (%(change)s)"
    ),
    "Weighted pipeline: %(amount)s (open deals: %(count)s)": (
        "Зважена воронка: %(amount)s (відкритих угод: %(count)s)"
    ),
    "Bottleneck: %(stage)s, passes %(rate)s": "Вузьке місце: %(stage)s, проходить %(rate)s",
    "Bottleneck: none yet (too few decided deals)": (
        "Вузьке місце: поки немає (замало завершених угод)"
    ),
    "The chart: the funnel of the last %(days)s days.": (
        "На діаграмі — воронка за останні %(days)s дн."
    ),
    # claims digest
    "📮 <b>Claims, %(date)s</b>": "📮 <b>Претензії, %(date)s</b>",
    "New: %(count)s": "Нові: %(count)s",
    "Open: %(count)s (waiting: %(waiting)s, in processing: %(processing)s)": (
        "Відкриті: %(count)s (очікують: %(waiting)s, в обробці: %(processing)s)"
    ),
    "Overdue: %(count)s": "Прострочені: %(count)s",
    "Resolved: %(count)s (satisfied: %(satisfied)s, not satisfied: %(not_satisfied)s)": (
        "Розглянуто: %(count)s (задоволено: %(satisfied)s, не задоволено: %(not_satisfied)s)"
    ),
    "Causes of the new claims:": "Причини нових претензій:",
    "• %(name)s: %(count)s": "• %(name)s: %(count)s",
    # lost deals digest
    "📉 <b>Lost deals, %(from)s – %(to)s</b>": "📉 <b>Програні угоди, %(from)s – %(to)s</b>",
    "Lost: %(count)s for %(amount)s (%(change)s against the week before)": (
        "Програно: %(count)s на %(amount)s (%(change)s проти попереднього тижня)"
    ),
    "No deals were lost this week.": "Цього тижня жодної угоди не програно.",
    "Reasons:": "Причини:",
    "• %(reason)s: %(count)s, %(amount)s": "• %(reason)s: %(count)s, %(amount)s",
    "no reason given": "причину не вказано",
    "Lost most often at: %(stage)s (%(count)s)": "Найчастіше програють на етапі: %(stage)s "
    "(%(count)s)",
    "Toughest competitor: %(name)s, won %(won)s of %(met)s": (
        "Найсильніший конкурент: %(name)s, виграв %(won)s з %(met)s"
    ),
    # classification digest
    "🔤 <b>Client classes (ABC/XYZ), %(from)s – %(to)s</b>": (
        "🔤 <b>Класи клієнтів (ABC/XYZ), %(from)s – %(to)s</b>"
    ),
    "Clients that changed class: %(count)s": "Клієнтів, що змінили клас: %(count)s",
    "• %(name)s: %(before)s → %(after)s": "• %(name)s: %(before)s → %(after)s",
    "none": "немає",
    "… and %(count)s more": "… і ще %(count)s",
    # reminders
    "⏰ <b>Task due at %(time)s</b>": "⏰ <b>Завдання на %(time)s</b>",
    "❗ <b>Task overdue</b> (due %(time)s)": "❗ <b>Завдання прострочене</b> (строк %(time)s)",
    "Deal %(number)s · %(title)s": "Угода %(number)s · %(title)s",
    "Client: %(name)s": "Клієнт: %(name)s",
    "📞 <b>Call at %(time)s</b>": "📞 <b>Дзвінок о %(time)s</b>",
    "🤝 <b>Meeting at %(time)s</b>": "🤝 <b>Зустріч о %(time)s</b>",
    "📅 <b>Planned contact at %(time)s</b>": "📅 <b>Запланований контакт о %(time)s</b>",
    "💤 <b>No activity on the deal for %(days)s</b>": "💤 <b>Угода без активності %(days)s</b>",
    "Stage: %(stage)s (at most %(limit)s without activity)": (
        "Етап: %(stage)s (не більше %(limit)s без активності)"
    ),
    "Potential: %(amount)s": "Потенціал: %(amount)s",
    "🎂 <b>Birthdays today</b>": "🎂 <b>Сьогодні дні народження</b>",
    "• %(name)s, %(position)s (%(partner)s)": "• %(name)s, %(position)s (%(partner)s)",
    "• %(name)s (%(partner)s)": "• %(name)s (%(partner)s)",
    "📇 <b>Time to contact %(partner)s</b>": "📇 <b>Час зв'язатися з %(partner)s</b>",
    "Last contact: %(date)s (%(days)s ago); agreed: every %(cadence)s": (
        "Останній контакт: %(date)s (%(days)s тому); домовлено: кожні %(cadence)s"
    ),
    "No contact yet; agreed: every %(cadence)s": (
        "Контакту ще не було; домовлено: кожні %(cadence)s"
    ),
    "☀️ <b>Your day, %(date)s</b>": "☀️ <b>Ваш день, %(date)s</b>",
    "Calls and meetings:": "Дзвінки та зустрічі:",
    "• %(time)s %(title)s": "• %(time)s %(title)s",
    "• %(time)s %(icon)s %(subject)s": "• %(time)s %(icon)s %(subject)s",
    "🎂 Birthdays: %(names)s": "🎂 Дні народження: %(names)s",
    # buttons
    "✅ Done": "✅ Виконано",
    "Open": "Відкрити",
    "⏰ In an hour": "⏰ За годину",
    "⏰ In %(minutes)s min": "⏰ За %(minutes)s хв",
    "📞 Log a call": "📞 Записати дзвінок",
    "💤 Snooze %(days)s d": "💤 Відкласти на %(days)s дн.",
    "✖ Mark lost": "✖ Програна",
    # subscriptions (Settings) and errors
    "Digest": "Дайджест",
    "Time": "Час",
    "Day of the week": "День тижня",
    "Days": "Дні",
    "is not a time of day (use HH:MM)": "не є часом доби (формат ГГ:ХХ)",
    "only a weekly digest has a day of the week": "день тижня буває лише в щотижневого дайджесту",
    "Daily sales funnel": "Щоденна воронка продажів",
    "Weekly sales funnel": "Щотижнева воронка продажів",
    "Claims": "Претензії",
    "Lost deals of the week": "Програні угоди тижня",
    "ABC/XYZ classification changes": "Зміни ABC/XYZ-класифікації",
    "My day": "Мій день",
    "Task reminders": "Нагадування про завдання",
    "Planned calls and meetings": "Заплановані дзвінки та зустрічі",
    "Claim notifications": "Сповіщення про претензії",
    "Claims: the responsible person on assignment and when the response time runs out, "
    "the client's managers on registration": (
        "Претензії: відповідальному — при призначенні та коли минає строк відповіді, "
        "менеджерам клієнта — при реєстрації"
    ),
    "Deals without activity": "Угоди без активності",
    "Birthdays of contact persons": "Дні народження контактних осіб",
    "Partners to contact": "Партнери, з якими час зв'язатися",
    # crm jobs
    "daily, at each subscriber's local time (checked every minute)": (
        "щодня, о місцевому часі кожного підписника (перевірка щохвилини)"
    ),
    "weekly, on each subscriber's day at their local time (checked every minute)": (
        "щотижня, у день і місцевий час кожного підписника (перевірка щохвилини)"
    ),
    "every minute, as things fall due": "щохвилини, щойно настає строк",
    "every minute": "щохвилини",
    "every hour": "щогодини",
    "default: %(defaults)s": "типово: %(defaults)s",
    "off": "вимкнено",
    "Unknown job %(job)s: `crm jobs list` shows the jobs.": (
        "Невідоме завдання %(job)s: перелік показує `crm jobs list`."
    ),
    "--now must be a date and time such as 2026-11-27T09:00 (local) or with an offset "
    "(2026-11-27T07:00+00:00).": (
        "--now має бути датою й часом, як-от 2026-11-27T09:00 (місцевий) або зі зсувом "
        "(2026-11-27T07:00+00:00)."
    ),
    "%(job)s at %(at)s (%(zone)s): due %(due)s, sent %(sent)s, sent before %(already)s, "
    "nothing to send %(empty)s, failed %(failed)s.": (
        "%(job)s на %(at)s (%(zone)s): належало %(due)s, надіслано %(sent)s, надіслано раніше "
        "%(already)s, нічого надсилати %(empty)s, помилок %(failed)s."
    ),
    "Note: %(note)s": "Примітка: %(note)s",
    "head of sales": "керівник відділу продажу",
    "administrator": "адміністратор",
    "manager": "менеджер",
}

# ngettext msgids: (singular, plural) -> the three Ukrainian forms (1, 2-4, 5+).
UK_PLURALS = {
    ("%(count)s task for today:", "%(count)s tasks for today:"): (
        "%(count)s завдання на сьогодні:",
        "%(count)s завдання на сьогодні:",
        "%(count)s завдань на сьогодні:",
    ),
    ("❗ %(count)s overdue task", "❗ %(count)s overdue tasks"): (
        "❗ %(count)s прострочене завдання",
        "❗ %(count)s прострочені завдання",
        "❗ %(count)s прострочених завдань",
    ),
    ("💤 %(count)s deal without activity", "💤 %(count)s deals without activity"): (
        "💤 %(count)s угода без активності",
        "💤 %(count)s угоди без активності",
        "💤 %(count)s угод без активності",
    ),
}
