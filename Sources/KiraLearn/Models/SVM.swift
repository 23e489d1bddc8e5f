import CLibSVM
import Foundation
import KiraCore

/// C-SVC through libsvm (the library scikit-learn's SVC wraps): linear or RBF kernel, Platt
/// probabilities from libsvm's internal 5-fold CV (seeded through `srand`).
public struct SVMTrainer: Sendable, Codable, Equatable {
    public enum Kernel: String, Sendable, Codable { case linear, rbf }
    /// `gamma`: a positive number, or nil for scikit-learn's "scale" (1 / (p · Var(X))).
    public var kernel: Kernel
    public var C: Double
    public var gamma: Double?
    public var gammaAuto: Bool
    public var tolerance: Double
    public var probability: Bool

    public init(kernel: Kernel = .rbf, C: Double = 1, gamma: Double? = nil, gammaAuto: Bool = false,
                tolerance: Double = 1e-3, probability: Bool = true) {
        self.kernel = kernel
        self.C = C
        self.gamma = gamma
        self.gammaAuto = gammaAuto
        self.tolerance = tolerance
        self.probability = probability
    }

    /// libsvm keeps global state: its print hook (silenced once) and `rand`.
    private static let lock = NSLock()

    public func fit(_ x: Matrix, _ y: [Bool], seed: UInt64) throws -> SVMModel {
        guard C > 0, C.isFinite else { throw KiraError.invalidArgument("svm: C must be a positive number, got \(C)") }
        let n = x.rows, p = x.cols
        let g: Double
        if let gamma {
            guard gamma > 0 else { throw KiraError.invalidArgument("svm: gamma must be positive, got \(gamma)") }
            g = gamma
        } else if gammaAuto {
            g = 1 / Double(max(p, 1))
        } else {
            let m = x.values.reduce(0, +) / Double(x.values.count)
            let v = x.values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.values.count)
            g = v > 0 ? 1 / (Double(p) * v) : 1
        }
        // Up to a few thousand rows, libsvm gets the kernel matrix precomputed by dense loops
        // (its own kernel walks sparse nodes, a third of the time of a grid search); the same
        // formula as libsvm's, K = exp(−γ(‖a‖² + ‖b‖² − 2a·b)). Larger problems use libsvm's
        // kernel cache to keep memory at O(n·p).
        let precomputed = n <= Self.precomputeLimit
        let width = precomputed ? n + 2 : p + 1
        var nodes = [svm_node](repeating: svm_node(index: -1, value: 0), count: n * width)
        if precomputed {
            let k = Self.kernelMatrix(x, kernel: kernel, gamma: g)
            for i in 0..<n {
                nodes[i * width] = svm_node(index: 0, value: Double(i + 1))
                for j in 0..<n { nodes[i * width + j + 1] = svm_node(index: Int32(j + 1), value: k[i * n + j]) }
            }
        } else {
            for i in 0..<n {
                for j in 0..<p { nodes[i * width + j] = svm_node(index: Int32(j + 1), value: x[i, j]) }
            }
        }
        var labels = y.map { $0 ? 1.0 : -1.0 }
        _ = Self.quiet
        return try nodes.withUnsafeMutableBufferPointer { nb -> SVMModel in
            var rows = (0..<n).map { Optional(nb.baseAddress! + $0 * width) }
            return try labels.withUnsafeMutableBufferPointer { lb in
                try rows.withUnsafeMutableBufferPointer { rb in
                    var problem = svm_problem(l: Int32(n), y: lb.baseAddress, x: rb.baseAddress)
                    var param = svm_parameter()
                    param.svm_type = Int32(C_SVC)
                    param.kernel_type = Int32(precomputed ? PRECOMPUTED : (kernel == .linear ? LINEAR : RBF))
                    param.gamma = g
                    param.C = C
                    param.eps = tolerance
                    param.cache_size = 200
                    param.shrinking = 1
                    param.probability = probability ? 1 : 0
                    if let err = svm_check_parameter(&problem, &param) {
                        throw KiraError.invalidArgument("svm: \(String(cString: err))")
                    }
                    // Only Platt's internal cross-validation draws from libsvm's global `rand`:
                    // those trainings are serialised so a seed gives the same folds; the others run
                    // concurrently.
                    if probability { Self.lock.lock() }
                    defer { if probability { Self.lock.unlock() } }
                    if probability { srand(UInt32(truncatingIfNeeded: seed)) }
                    guard let trained = svm_train(&problem, &param) else {
                        throw KiraError.invalidData("svm: libsvm could not train a model")
                    }
                    var model: UnsafeMutablePointer<svm_model>? = trained
                    defer { svm_free_and_destroy_model(&model) }
                    return Self.extract(trained.pointee, x: x, precomputed: precomputed, gamma: g, kernel: kernel)
                }
            }
        }
    }

    /// Rows above which the kernel matrix (n² nodes of 16 bytes) is not precomputed.
    static let precomputeLimit = 2500

    private static let quiet: Void = svm_set_print_string_function { _ in }

    /// The n × n kernel matrix of the rows of x.
    static func kernelMatrix(_ x: Matrix, kernel: Kernel, gamma: Double) -> [Double] {
        let n = x.rows, p = x.cols
        var k = [Double](repeating: 0, count: n * n)
        var sq = [Double](repeating: 0, count: n)
        x.values.withUnsafeBufferPointer { v in
            for i in 0..<n {
                var s = 0.0
                for c in 0..<p { s += v[i * p + c] * v[i * p + c] }
                sq[i] = s
            }
            k.withUnsafeMutableBufferPointer { k in
                for i in 0..<n {
                    let a = v.baseAddress! + i * p
                    for j in 0...i {
                        let b = v.baseAddress! + j * p
                        var dot = 0.0
                        for c in 0..<p { dot += a[c] * b[c] }
                        let value = kernel == .linear ? dot : exp(-gamma * (sq[i] + sq[j] - 2 * dot))
                        k[i * n + j] = value
                        k[j * n + i] = value
                    }
                }
            }
        }
        return k
    }

    /// Copies what prediction needs out of libsvm's model, oriented so that a positive
    /// decision value means the positive class.
    private static func extract(_ m: svm_model, x: Matrix, precomputed: Bool, gamma: Double, kernel: Kernel) -> SVMModel {
        let nsv = Int(m.l), p = x.cols
        let sign: Double = m.label[0] == 1 ? 1 : -1
        var sv = Matrix(rows: nsv, cols: p)
        var coef = [Double](repeating: 0, count: nsv)
        for i in 0..<nsv {
            coef[i] = sign * m.sv_coef[0]![i]
            var node = m.SV[i]!
            if precomputed {
                // The support vector's serial number (1-based) in the training rows.
                let r = Int(node.pointee.value) - 1
                for j in 0..<p { sv[i, j] = x[r, j] }
                continue
            }
            while node.pointee.index != -1 {
                sv[i, Int(node.pointee.index) - 1] = node.pointee.value
                node += 1
            }
        }
        var a: Double? = nil, b: Double? = nil
        if let pa = m.probA, let pb = m.probB {
            a = pa[0]
            b = sign > 0 ? pb[0] : -pb[0]
        }
        return SVMModel(kernel: kernel, gamma: gamma, supportVectors: sv, coefficients: coef, rho: sign * m.rho[0],
                        plattA: a, plattB: b)
    }
}

/// A fitted SVM: f(x) = Σᵢ αᵢyᵢ K(svᵢ, x) − ρ; P(positive) = 1 / (1 + exp(A f + B)).
public struct SVMModel: Sendable, Codable, Equatable {
    public var kernel: SVMTrainer.Kernel
    public var gamma: Double
    public var supportVectors: Matrix
    public var coefficients: [Double]
    public var rho: Double
    public var plattA: Double?
    public var plattB: Double?

    public func decision(_ x: Matrix) -> [Double] {
        let p = x.cols, nsv = supportVectors.rows
        var out = [Double](repeating: 0, count: x.rows)
        x.values.withUnsafeBufferPointer { xv in
            supportVectors.values.withUnsafeBufferPointer { sv in
                for i in 0..<x.rows {
                    var f = -rho
                    for s in 0..<nsv {
                        var k = 0.0
                        if kernel == .linear {
                            for j in 0..<p { k += xv[i * p + j] * sv[s * p + j] }
                        } else {
                            var d = 0.0
                            for j in 0..<p { let t = xv[i * p + j] - sv[s * p + j]; d += t * t }
                            k = exp(-gamma * d)
                        }
                        f += coefficients[s] * k
                    }
                    out[i] = f
                }
            }
        }
        return out
    }

    /// Platt probabilities; without them, a logistic squash of the decision value.
    public func probabilities(_ x: Matrix) -> [Double] {
        let f = decision(x)
        guard let a = plattA, let b = plattB else { return f.map(sigmoid) }
        return f.map { 1 / (1 + exp(a * $0 + b)) }
    }
}
