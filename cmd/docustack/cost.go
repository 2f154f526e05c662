package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/docustack/infrastructure/components"
	"github.com/docustack/infrastructure/internal/cost"
)

func costCmd(root, stack string, asJSON bool, stdout, stderr io.Writer) int {
	rep, err := cost.ForStack(root, stack)
	if err != nil {
		fmt.Fprintf(stderr, "docustack cost: stack %q:\n%s", stack, components.ErrorLines(err))
		return exitFail
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return exitOK
	}
	writeCost(stdout, rep)
	return exitOK
}

func writeCost(w io.Writer, rep *cost.Report) {
	est := rep.Estimate
	fmt.Fprintf(w, "Estimated monthly cost of stack %s (us-east-1 list prices, reviewed %s; USD)\n\n", rep.Stack, rep.Prices.Reviewed)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USD\tCOMPONENT\tRESOURCE\tITEM")
	for _, l := range est.Lines {
		if l.USD < 0.005 {
			continue
		}
		fmt.Fprintf(tw, "%8.2f\t%s\t%s\t%s\n", l.USD, l.Component, l.Resource, l.Item)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nBy component:\n")
	names := make([]string, 0, len(est.Component))
	for n := range est.Component {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if est.Component[names[i]] != est.Component[names[j]] {
			return est.Component[names[i]] > est.Component[names[j]]
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		fmt.Fprintf(w, "  %9.2f  %s\n", est.Component[n], n)
	}
	if len(est.Unpriced) > 0 {
		fmt.Fprintf(w, "\nNot priced (%d):\n", len(est.Unpriced))
		for _, u := range est.Unpriced {
			fmt.Fprintf(w, "  - %s\n", u)
		}
	}
	fmt.Fprintf(w, "\nAssumptions: services run %.0f h/month, the database %.0f h/month (730 = always on); usage %+v\n",
		est.Hours.Services, est.Hours.Database, rep.Assumptions)
	fmt.Fprintf(w, "\nTotal:                          %9.2f\n", est.TotalUSD)
	fmt.Fprintf(w, "Without the nightly scheduler:  %9.2f  (the scheduler saves %.2f)\n", rep.WithoutScheduler, rep.SchedulerSavings)
	fmt.Fprintf(w, "Without Fargate Spot:           %9.2f  (Spot saves %.2f)\n", rep.WithoutSpot, rep.SpotSavings)
	fmt.Fprintf(w, "Without either:                 %9.2f\n", rep.WithoutBoth)
}
