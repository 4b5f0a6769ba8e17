using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SharedRateCounters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RateCounters",
                columns: table => new
                {
                    Key = table.Column<string>(type: "character varying(96)", maxLength: 96, nullable: false),
                    WindowStart = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RateCounters", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RateCounters_WindowStart",
                table: "RateCounters",
                column: "WindowStart");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RateCounters");
        }
    }
}
