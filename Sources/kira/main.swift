import KiraCore
print("kira \(KiraVersion.current)")
