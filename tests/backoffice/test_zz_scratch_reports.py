from motcua.reporting.selectors import report_scopes
def test_scopes(officials):
    for name in ["tinh.lanhdao", "batxat.lanhdao", "laocai.lanhdao", "tinh.quantritinh", "tinh.tiepnhan", "batxat.tiepnhan"]:
        print(name, [(s.kind, s.code, s.label) for s in report_scopes(user=officials[name])])
    from motcua.catalog.models import Sector
    print(Sector.objects.count(), list(Sector.objects.values_list("pk","name")[:5]))
