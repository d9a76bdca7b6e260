import Foundation

/// Training's loss and validation AUC per epoch as an inline SVG: loss on the left axis, AUC on
/// the right (0.5-1, or from below chance when a run fell there), one point per epoch (each `circle` carries its epoch and value in data
/// attributes, so a test can read the chart back).
enum TrainingChart {
    static let width = 640.0, height = 260.0
    static let left = 56.0, right = 56.0, top = 16.0, bottom = 36.0

    static func svg(_ epochs: [RunReport.Epoch]) -> String {
        guard !epochs.isEmpty else { return "" }
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maxLoss = max(epochs.map(\.loss).max() ?? 1, 1e-9) * 1.1
        let lastEpoch = Double(epochs.map(\.epoch).max() ?? 1), firstEpoch = Double(epochs.map(\.epoch).min() ?? 0)
        let span = max(lastEpoch - firstEpoch, 1)
        func x(_ epoch: Int) -> Double { left + (Double(epoch) - firstEpoch) / span * plotWidth }
        func yLoss(_ loss: Double) -> Double { top + (1 - loss / maxLoss) * plotHeight }
        // AUC from 0.5 (chance) to 1, lower when a run fell below chance.
        let floorAUC = min(0.5, ((epochs.map(\.validAUC).min() ?? 0.5) * 10).rounded(.down) / 10)
        func yAUC(_ auc: Double) -> Double { top + (1 - (min(max(auc, floorAUC), 1) - floorAUC) / (1 - floorAUC)) * plotHeight }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="loss and validation AUC per epoch">
            <rect x="\(f(left))" y="\(f(top))" width="\(f(plotWidth))" height="\(f(plotHeight))" fill="#fafafa" stroke="#ccc"/>

            """
        for step in 0...4 {
            let fraction = Double(step) / 4
            let y = top + (1 - fraction) * plotHeight
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"loss\">\(String(format: "%.3f", maxLoss * fraction))</text>"
            svg += "<text x=\"\(f(left + plotWidth + 6))\" y=\"\(f(y + 4))\" class=\"auc\">\(String(format: "%.2f", floorAUC + (1 - floorAUC) * fraction))</text>\n"
        }
        for epoch in epochs {
            svg += "<text x=\"\(f(x(epoch.epoch)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(epoch.epoch)</text>"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 4))\" text-anchor=\"middle\">epoch</text>\n"
        let lossPoints = epochs.map { "\(f(x($0.epoch))),\(f(yLoss($0.loss)))" }.joined(separator: " ")
        let aucPoints = epochs.map { "\(f(x($0.epoch))),\(f(yAUC($0.validAUC)))" }.joined(separator: " ")
        svg += "<polyline points=\"\(lossPoints)\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n"
        svg += "<polyline points=\"\(aucPoints)\" fill=\"none\" stroke=\"#2471a3\" stroke-width=\"2\"/>\n"
        for epoch in epochs {
            svg += "<circle class=\"point loss\" cx=\"\(f(x(epoch.epoch)))\" cy=\"\(f(yLoss(epoch.loss)))\" r=\"3\" fill=\"#c0392b\" data-epoch=\"\(epoch.epoch)\" data-loss=\"\(epoch.loss)\"/>"
            svg += "<circle class=\"point auc\" cx=\"\(f(x(epoch.epoch)))\" cy=\"\(f(yAUC(epoch.validAUC)))\" r=\"3\" fill=\"#2471a3\" data-epoch=\"\(epoch.epoch)\" data-valid-auc=\"\(epoch.validAUC)\"/>\n"
        }
        svg += "<text x=\"\(f(left))\" y=\"\(f(top - 4))\" class=\"loss\">loss</text>"
        svg += "<text x=\"\(f(left + plotWidth))\" y=\"\(f(top - 4))\" text-anchor=\"end\" class=\"auc\">validation AUC</text>\n</svg>"
        return svg
    }
}
