extension ModelFile {
    /// Exact SHAP values of already-transformed rows `x`, where the frozen model has them:
    /// linear SHAP against the training inputs' mean for logistic regression, TreeSHAP for
    /// tree ensembles; nil for the others (callers fall back to KernelSHAP or say why not).
    public func exactSHAP(_ x: Matrix) -> ShapExplanation? {
        let names = pipeline.selectedFeatures
        if let lr = pipeline.model.logistic { return ShapExplanation.linear(lr, x: x, background: inputMean, features: names) }
        if let trees = pipeline.model.trees { return ShapExplanation.trees(trees, x: x, features: names) }
        return nil
    }
}
